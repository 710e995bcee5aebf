"""The screens: 選考会設定 → 日程設定 → 変更 (予約動作設定) → 新規日程作成, slots, start link, roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from scheduling.models import Event, MeetingState, SelectionMeeting, Slot
from tests.helpers import client_for
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory, ZoomEventFactory
from tests.scheduling.helpers import make_slot, still_today, tomorrow_at
from zoom_integration.models import ConnectionStatus

pytestmark = pytest.mark.django_db


def day_after_tomorrow():
    return (timezone.localtime() + timedelta(days=2)).date()


def slot_form(**overrides):
    data = {
        "date": day_after_tomorrow().isoformat(),
        "start_time": "10:00",
        "end_time": "11:00",
        "capacity": "3",
        "visibility": "show",
        "note": "",
    }
    data.update(overrides)
    return data


def event_form(**overrides):
    data = {
        "name": "Web面接",
        "web_meeting": "zoom",
        "zoom_host": "zhost0001",
        "duration_minutes": "60",
        "default_capacity": "1",
        "booking_opens_hours_before": "",
        "booking_closes_hours_before": "24",
        "cancel_deadline_hours_before": "24",
        "reminder_hours_before": "24",
        "place": "",
        "notes": "カメラをオンにしてご参加ください。",
        "waiting_room": "on",
        "use_passcode": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- roles and tenancy --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["interviewer"])
def test_interviewers_cannot_open_the_scheduling_screens(world, role):
    event = EventFactory(selection_meeting__company=world.acme.company)
    client = client_for(world.acme.user(role))
    for url in (
        reverse("scheduling:meeting_list"),
        reverse("scheduling:schedule", args=[event.selection_meeting_id]),
        reverse("scheduling:event_settings", args=[event.pk]),
        reverse("scheduling:slot_create", args=[event.pk]),
        reverse("scheduling:slot_list"),
    ):
        assert client.get(url).status_code == 403


def test_another_companys_objects_answer_404(as_recruiter, world):
    event = EventFactory(selection_meeting__company=world.other.company)
    slot = SlotFactory(event=event)
    for url in (
        reverse("scheduling:schedule", args=[event.selection_meeting_id]),
        reverse("scheduling:meeting_edit", args=[event.selection_meeting_id]),
        reverse("scheduling:event_settings", args=[event.pk]),
        reverse("scheduling:slot_create", args=[event.pk]),
        reverse("scheduling:slot_detail", args=[slot.pk]),
        reverse("scheduling:slot_edit", args=[slot.pk]),
        reverse("scheduling:slot_start", args=[slot.pk]),
    ):
        assert as_recruiter.get(url).status_code == 404, url
    for url in (
        reverse("scheduling:slot_delete", args=[slot.pk]),
        reverse("scheduling:slot_reissue", args=[slot.pk]),
        reverse("scheduling:event_delete", args=[event.pk]),
        reverse("scheduling:meeting_delete", args=[event.selection_meeting_id]),
    ):
        assert as_recruiter.post(url).status_code == 404, url
    assert Slot.objects.filter(pk=slot.pk).exists() and Event.objects.filter(pk=event.pk).exists()


def test_the_meeting_list_shows_only_the_own_companys_selection_meetings(as_recruiter, world):
    SelectionMeetingFactory(company=world.acme.company, name="会社説明会")
    SelectionMeetingFactory(company=world.other.company, name="他社の説明会")

    content = as_recruiter.get(reverse("scheduling:meeting_list")).content.decode()

    assert "会社説明会" in content and "他社の説明会" not in content


# --- the guide's four steps -----------------------------------------------------------------------------


def test_a_recruiter_follows_the_guide_and_the_slot_shows_its_zoom_url(
    as_recruiter, world, linked, fake_zoom, django_capture_on_commit_callbacks
):
    response = as_recruiter.post(
        reverse("scheduling:meeting_create"), {"name": "一次面接", "sort_order": "0"}
    )
    meeting = SelectionMeeting.objects.get(company=world.acme.company, name="一次面接")
    assert response["Location"] == reverse("scheduling:schedule", args=[meeting.pk])
    as_recruiter.post(
        reverse("scheduling:event_create", args=[meeting.pk]), event_form(web_meeting="none", zoom_host="")
    )
    event = meeting.events.get()
    schedule = as_recruiter.get(reverse("scheduling:schedule", args=[meeting.pk])).content.decode()
    assert "変更" in schedule and reverse("scheduling:event_settings", args=[event.pk]) in schedule

    settings_page = as_recruiter.get(reverse("scheduling:event_settings", args=[event.pk])).content.decode()
    assert "予約動作設定" in settings_page and "Zoomユーザ選択" in settings_page
    assert "host@zoom.example.com" in settings_page and "gone@zoom.example.com" not in settings_page
    response = as_recruiter.post(reverse("scheduling:event_settings", args=[event.pk]), event_form())
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.has_web_meeting and event.meeting_host_id == "zhost0001"
    assert event.meeting_host_email == "host@zoom.example.com"
    assert AuditEntry.objects.filter(action="event.settings_changed", target_id=str(event.pk)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_recruiter.post(reverse("scheduling:slot_create", args=[event.pk]), slot_form())

    slot = Slot.objects.get(event=event)
    assert response["Location"] == reverse("scheduling:slot_detail", args=[slot.pk])
    detail = as_recruiter.get(response["Location"]).content.decode()
    assert slot.join_url and slot.join_url in detail
    assert "発行済み" in detail and "data-copy" in detail
    assert "zak=" not in detail  # the host start link is never in a page
    assert AuditEntry.objects.filter(action="slot.created", target_id=str(slot.pk)).exists()


def test_zoom_is_offered_only_while_the_link_is_linked(as_recruiter, world, linked):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    url = reverse("scheduling:event_create", args=[meeting.pk])
    assert 'value="zoom"' in as_recruiter.get(url).content.decode()

    linked.connection.status = ConnectionStatus.RELEASED
    linked.connection.save()

    assert 'value="zoom"' not in as_recruiter.get(url).content.decode()
    response = as_recruiter.post(url, event_form())
    assert response.status_code == 200 and not meeting.events.exists()


def test_a_zoom_event_needs_a_host_that_can_host(as_recruiter, world, linked):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    url = reverse("scheduling:event_create", args=[meeting.pk])

    missing = as_recruiter.post(url, event_form(zoom_host="")).content.decode()
    left = as_recruiter.post(url, event_form(zoom_host="zgone0003")).content.decode()
    inactive = as_recruiter.post(url, event_form(zoom_host="zoff0004")).content.decode()

    assert "Zoomユーザ選択でホストを選んでください" in missing
    assert "zgone0003 は候補にありません" in left
    assert "zoff0004 は候補にありません" in inactive
    assert not meeting.events.exists()


def test_booking_window_must_open_before_it_closes(as_recruiter, world, linked):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    response = as_recruiter.post(
        reverse("scheduling:event_create", args=[meeting.pk]),
        event_form(booking_opens_hours_before="12", booking_closes_hours_before="24"),
    )
    assert "予約受付開始は受付終了より前" in response.content.decode()


def test_a_released_link_keeps_the_events_host_and_says_it_is_missing(
    as_recruiter, world, linked, zoom_event
):
    from zoom_integration.models import ZoomUser

    ZoomUser.objects.filter(company=world.acme.company).delete()  # unlink purges Zoom users
    linked.connection.status = ConnectionStatus.RELEASED
    linked.connection.save()

    page = as_recruiter.get(reverse("scheduling:schedule", args=[zoom_event.selection_meeting_id]))
    content = page.content.decode()
    assert "ホストのZoomユーザー（ホスト 太郎 &lt;host@zoom.example.com&gt;）が見つかりません" in content
    settings_page = as_recruiter.get(
        reverse("scheduling:event_settings", args=[zoom_event.pk])
    ).content.decode()
    assert "現在のホスト・利用できません" in settings_page
    response = as_recruiter.post(
        reverse("scheduling:event_settings", args=[zoom_event.pk]),
        event_form(zoom_host="zhost0001", name="改名"),
    )
    assert response.status_code == 302  # other settings can still be saved
    zoom_event.refresh_from_db()
    assert zoom_event.name == "改名" and zoom_event.meeting_host_id == "zhost0001"


def test_a_host_that_left_the_account_is_shown_on_the_schedule(as_recruiter, world, linked):
    event = ZoomEventFactory(selection_meeting__company=world.acme.company, meeting_host_id="zgone0003")

    content = as_recruiter.get(
        reverse("scheduling:schedule", args=[event.selection_meeting_id])
    ).content.decode()

    assert "Zoomアカウントから削除されています" in content


# --- 新規日程作成 validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "09:00"}, "終了時刻は開始時刻より後にしてください。"),
        ({"end_time": "10:00"}, "終了時刻は開始時刻より後にしてください。"),
        ({"date": "2020-01-01"}, "過去の日時は指定できません。"),
        ({"date": "9999-12-31"}, "日付は3年以内で指定してください。"),
        (
            {"date": (date.today() + timedelta(days=3 * 366 + 2)).isoformat()},
            "日付は3年以内で指定してください。",
        ),
        ({"capacity": "0"}, "1 以上"),
        ({"date": ""}, "このフィールドは必須です。"),
    ],
)
def test_new_slots_are_validated_with_clear_messages(as_recruiter, world, overrides, message):
    event = EventFactory(selection_meeting__company=world.acme.company)

    response = as_recruiter.post(reverse("scheduling:slot_create", args=[event.pk]), slot_form(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Slot.objects.filter(event=event).exists()


def test_a_slot_cannot_be_moved_beyond_the_horizon(as_recruiter, world):
    event = EventFactory(selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    starts_at = slot.starts_at

    response = as_recruiter.post(
        reverse("scheduling:slot_edit", args=[slot.pk]), slot_form(date="9999-12-31")
    )

    assert response.status_code == 200
    assert "日付は3年以内で指定してください。" in response.content.decode()
    slot.refresh_from_db()
    assert slot.starts_at == starts_at


def test_an_empty_end_time_takes_the_events_duration(as_recruiter, world):
    event = EventFactory(selection_meeting__company=world.acme.company, duration_minutes=45)

    as_recruiter.post(reverse("scheduling:slot_create", args=[event.pk]), slot_form(end_time=""))

    slot = Slot.objects.get(event=event)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=45)
    assert timezone.localtime(slot.starts_at, world.acme.company.tzinfo).hour == 10


def test_capacity_cannot_go_below_current_bookings(as_recruiter, world):
    from booking.models import BookingSource
    from booking.services import book_slot
    from tests.applicants.factories import ApplicantFactory

    event = EventFactory(selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event, capacity=5)
    for _ in range(3):
        book_slot(
            slot=slot,
            applicant=ApplicantFactory(company=world.acme.company),
            actor=world.acme.recruiter,
            source=BookingSource.STAFF,
        )
    assert Slot.objects.get(pk=slot.pk).booked_count == 3

    response = as_recruiter.post(reverse("scheduling:slot_edit", args=[slot.pk]), slot_form(capacity="2"))

    assert "定員は現在の予約数（3名）以上にしてください。" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 5


def test_an_overlapping_slot_of_the_same_host_is_a_warning_not_a_refusal(
    as_recruiter, world, linked, zoom_event, fake_zoom
):
    other_event = ZoomEventFactory(selection_meeting=zoom_event.selection_meeting, name="別の面接")
    day = day_after_tomorrow()
    as_recruiter.post(
        reverse("scheduling:slot_create", args=[other_event.pk]), slot_form(date=day.isoformat())
    )

    response = as_recruiter.post(
        reverse("scheduling:slot_create", args=[zoom_event.pk]),
        slot_form(date=day.isoformat(), start_time="10:30", end_time="11:30"),
        follow=True,
    )

    assert Slot.objects.filter(event=zoom_event).exists()
    assert "同じ時間帯に別の日程" in response.content.decode()


def test_bulk_creation_previews_then_creates(as_recruiter, world, linked, zoom_event, fake_zoom):
    first = day_after_tomorrow()
    data = {
        "date_from": first.isoformat(),
        "date_to": (first + timedelta(days=6)).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4"],
        "start_times": "10:00, 13:30\n15:00",
        "duration_minutes": "30",
        "capacity": "2",
        "visibility": "hide",
    }
    url = reverse("scheduling:slot_bulk_create", args=[zoom_event.pk])

    preview = as_recruiter.post(url, data)

    assert preview.status_code == 200
    assert "15件の日程を作成します" in preview.content.decode()
    assert not Slot.objects.filter(event=zoom_event).exists()

    response = as_recruiter.post(url, {**data, "confirm": "1"})

    assert response.status_code == 302
    slots = list(Slot.objects.filter(event=zoom_event))
    assert len(slots) == 15
    assert {s.capacity for s in slots} == {2} and not any(s.is_published for s in slots)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert {timezone.localtime(s.starts_at, world.acme.company.tzinfo).weekday() for s in slots} <= {
        0,
        1,
        2,
        3,
        4,
    }
    assert fake_zoom.calls == [] and fake_zoom.requests == []  # hidden: no meeting yet


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_times": "25:00"}, "時刻（例 10:00）として読めません"),
        ({"date_to": "2020-01-01"}, "終了日は開始日以降にしてください。"),
        ({"weekdays": []}, "このフィールドは必須です。"),
        ({"date_from": "2020-01-01", "date_to": "2020-01-05"}, "条件に合う未来の日時がありません"),
        ({"date_from": "9999-12-25", "date_to": "9999-12-31"}, "日付は3年以内で指定してください。"),
    ],
)
def test_bulk_creation_refuses_bad_input(as_recruiter, world, overrides, message):
    event = EventFactory(selection_meeting__company=world.acme.company)
    first = day_after_tomorrow()
    data = {
        "date_from": first.isoformat(),
        "date_to": (first + timedelta(days=3)).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "start_times": "10:00",
        "duration_minutes": "30",
        "capacity": "1",
        "visibility": "show",
        **overrides,
    }
    response = as_recruiter.post(reverse("scheduling:slot_bulk_create", args=[event.pk]), data)
    assert message in response.content.decode()
    assert not Slot.objects.exists()


def test_bulk_creation_refuses_more_than_a_thousand_slots(as_recruiter, world):
    event = EventFactory(selection_meeting__company=world.acme.company)
    first = day_after_tomorrow()
    times = ", ".join(f"{h:02d}:{m:02d}" for h in range(8, 20) for m in (0, 30))
    data = {
        "date_from": first.isoformat(),
        "date_to": (first + timedelta(days=60)).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "start_times": times,
        "duration_minutes": "30",
        "capacity": "1",
        "visibility": "show",
    }
    response = as_recruiter.post(reverse("scheduling:slot_bulk_create", args=[event.pk]), data)
    assert "一度に作成できる日程は1000件まで" in response.content.decode()


# --- slot list, detail, actions ---------------------------------------------------------------------------


def test_the_slot_list_runs_a_fixed_number_of_queries(as_recruiter, world, linked, fake_zoom):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert as_recruiter.get(reverse("scheduling:slot_list")).status_code == 200
        return len(ctx.captured_queries)

    event = ZoomEventFactory(selection_meeting__company=world.acme.company)
    for hour in range(2):
        make_slot(event, tomorrow_at(9 + hour))
    few = page_queries()
    for index in range(3):
        other = ZoomEventFactory(selection_meeting__company=world.acme.company, name=f"e{index}")
        for hour in range(5):
            make_slot(other, tomorrow_at(9 + hour))

    assert page_queries() == few


def test_the_schedule_and_dashboard_run_a_fixed_number_of_queries(as_recruiter, world, linked, fake_zoom):
    meeting = SelectionMeetingFactory(company=world.acme.company)

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert as_recruiter.get(url).status_code == 200
        return len(ctx.captured_queries)

    schedule = reverse("scheduling:schedule", args=[meeting.pk])
    make_slot(ZoomEventFactory(selection_meeting=meeting))  # an empty page of slots skips its query
    as_recruiter.get(reverse("dashboard"))  # the first visit records the overdue evaluations' count
    first = (queries(schedule), queries(reverse("dashboard")))
    for index in range(3):
        event = ZoomEventFactory(selection_meeting=meeting, name=f"e{index}")
        for hour in range(4):
            make_slot(
                event,
                timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hour + 1),
            )
    Slot.objects.filter(company=world.acme.company).update(
        meeting_state=MeetingState.FAILED, meeting_error="x"
    )

    assert (queries(schedule), queries(reverse("dashboard"))) == first


def test_the_slot_list_filters_by_date_and_status(as_recruiter, world):
    event = ZoomEventFactory(selection_meeting__company=world.acme.company, name="フィルタ")
    base = timezone.localtime() + timedelta(days=3)
    early = SlotFactory(event=event, starts_at=base, ends_at=base + timedelta(hours=1), note="early")
    late = SlotFactory(
        event=event,
        starts_at=base + timedelta(days=5),
        ends_at=base + timedelta(days=5, hours=1),
        note="late",
    )
    Slot.objects.filter(pk=late.pk).update(meeting_state=MeetingState.FAILED, meeting_error="reason-x")
    url = reverse("scheduling:slot_list")

    by_date = as_recruiter.get(url, {"date_to": (base + timedelta(days=1)).date().isoformat()})
    by_state = as_recruiter.get(url, {"state": "failed"})
    problems = as_recruiter.get(url, {"state": "problem"})

    assert [s.pk for s in by_date.context["page"].object_list] == [early.pk]
    assert [s.pk for s in by_state.context["page"].object_list] == [late.pk]
    assert [s.pk for s in problems.context["page"].object_list] == [late.pk]
    assert "reason-x" in by_state.content.decode() and "再試行" in by_state.content.decode()


def test_retry_button_reissues_a_failed_slot(as_recruiter, world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    Slot.all_objects.filter(pk=slot.pk).update(meeting_state=MeetingState.FAILED, meeting_error="boom")

    response = as_recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]), {"next": "/"})

    assert response["Location"] == "/"
    slot.refresh_from_db()
    assert slot.meeting_state == MeetingState.PENDING and slot.meeting_error == ""
    assert AuditEntry.objects.filter(action="meeting.reissue_requested", target_id=str(slot.pk)).exists()


def test_deleting_a_slot_from_its_page(as_recruiter, world):
    slot = SlotFactory(event=EventFactory(selection_meeting__company=world.acme.company))

    response = as_recruiter.post(reverse("scheduling:slot_delete", args=[slot.pk]))

    assert response.status_code == 302
    assert not Slot.objects.filter(pk=slot.pk).exists()
    assert AuditEntry.objects.filter(action="slot.deleted", target_id=str(slot.pk)).exists()


def test_an_event_with_slots_cannot_be_deleted(as_recruiter, world):
    slot = SlotFactory(event=EventFactory(selection_meeting__company=world.acme.company))

    as_recruiter.post(reverse("scheduling:event_delete", args=[slot.event_id]))
    as_recruiter.post(reverse("scheduling:meeting_delete", args=[slot.event.selection_meeting_id]))

    assert Event.objects.filter(pk=slot.event_id).exists()


# --- start link ---------------------------------------------------------------------------------------------


@pytest.fixture
def issued_slot(world, linked, fake_zoom):
    event = ZoomEventFactory(
        selection_meeting__company=world.acme.company,
        meeting_host_id="zhost0002",
        meeting_host_email="Interviewer@acme.example.com",
    )
    slot = make_slot(event)
    from scheduling import issuance

    issuance.sync_slot_meeting(slot_id=slot.pk)
    slot.refresh_from_db()
    return slot


def test_the_start_link_is_fetched_fresh_and_redirects_straight_to_zoom(as_recruiter, issued_slot, fake_zoom):
    response = as_recruiter.get(reverse("scheduling:slot_start", args=[issued_slot.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"https://zoom.us/s/{issued_slot.meeting_id}?zak=secret-zak"
    assert "no-store" in response["Cache-Control"]
    assert fake_zoom.calls[-1] == ("get", {"meeting_id": int(issued_slot.meeting_id)})
    request = fake_zoom.requests[-1]
    assert (request.method, request.path) == ("GET", f"/meetings/{issued_slot.meeting_id}")
    assert AuditEntry.objects.filter(action="meeting.start_link_opened").exists()


def test_the_hosting_interviewer_may_start_but_another_interviewer_may_not(world, issued_slot):
    from accounts.models import Role
    from tests.factories import UserFactory

    host = client_for(world.acme.interviewer)
    stranger = client_for(UserFactory(company=world.acme.company, role=Role.INTERVIEWER))

    assert host.get(reverse("scheduling:slot_start", args=[issued_slot.pk])).status_code == 302
    assert stranger.get(reverse("scheduling:slot_start", args=[issued_slot.pk])).status_code == 403
    assert stranger.get(reverse("scheduling:slot_detail", args=[issued_slot.pk])).status_code == 403
    detail = host.get(reverse("scheduling:slot_detail", args=[issued_slot.pk])).content.decode()
    assert "ホストとして開始" in detail and "再発行" not in detail


def test_the_interviewers_dashboard_lists_their_own_upcoming_slots(world, issued_slot, linked, fake_zoom):
    someone_else = make_slot(
        ZoomEventFactory(selection_meeting__company=world.acme.company, name="他人の面接")
    )

    content = client_for(world.acme.interviewer).get(reverse("dashboard")).content.decode()

    assert reverse("scheduling:slot_start", args=[issued_slot.pk]) in content
    assert reverse("scheduling:slot_detail", args=[someone_else.pk]) not in content
    assert "zak=" not in content


def test_the_dashboard_shows_todays_slots_and_every_issuance_problem(as_recruiter, world, linked, fake_zoom):
    event = ZoomEventFactory(selection_meeting__company=world.acme.company, name="本日の面接")
    today = make_slot(event, still_today(tz=world.acme.company.tzinfo))
    failed = make_slot(event, tomorrow_at(15))
    Slot.all_objects.filter(pk=failed.pk).update(
        meeting_state=MeetingState.FAILED, meeting_error="ホスト不明"
    )
    waiting = make_slot(event, tomorrow_at(16))
    Slot.all_objects.filter(pk=waiting.pk).update(
        wait_reason="daily_limit", not_before=timezone.now() + timedelta(hours=3)
    )

    content = as_recruiter.get(reverse("dashboard")).content.decode()

    assert reverse("scheduling:slot_detail", args=[today.pk]) in content
    assert "ホスト不明" in content and "再試行" in content
    assert "Zoomの1日の発行上限に達しました。" in content


def test_start_link_errors_are_explained(as_recruiter, issued_slot, fake_zoom):
    fake_zoom.meetings.clear()

    response = as_recruiter.get(reverse("scheduling:slot_start", args=[issued_slot.pk]), follow=True)

    assert "Zoom上でミーティングが見つかりません" in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_slot_list_takes_the_first_and_last_days_of_the_calendar(as_recruiter, world, day):
    """The day after 9999-12-31 (and 0001-01-01 in UTC) does not exist: the filter answered 500."""
    url = reverse("scheduling:slot_list")
    for name in ("date_from", "date_to"):
        assert as_recruiter.get(url, {name: day}).status_code == 200


@pytest.mark.parametrize(
    "next_url", ["abc", "a\x00b", "/x\r\nSet-Cookie: a=1", "/" + "x" * 20_000, "//evil.example/"]
)
def test_retry_goes_back_only_to_a_page_of_this_site(
    as_recruiter, world, linked, zoom_event, fake_zoom, next_url
):
    """``redirect("abc")`` looked for a view named abc (NoReverseMatch: a 500); a URL over Django's redirect
    limit was refused with a 400 after the slot had been re-queued."""
    slot = make_slot(zoom_event)
    Slot.all_objects.filter(pk=slot.pk).update(meeting_state=MeetingState.FAILED, meeting_error="boom")

    response = as_recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:slot_detail", args=[slot.pk])
    slot.refresh_from_db()
    assert slot.meeting_state == MeetingState.PENDING


def test_a_retry_django_refuses_re_queues_nothing(as_recruiter, world, linked, zoom_event, fake_zoom):
    """The form was read after the slot was re-queued: too many fields answered 400 after the change."""
    slot = make_slot(zoom_event)
    Slot.all_objects.filter(pk=slot.pk).update(meeting_state=MeetingState.FAILED, meeting_error="boom")
    fields = {f"f{number}": "1" for number in range(1_001)}

    response = as_recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]), fields)

    assert response.status_code == 400
    slot.refresh_from_db()
    assert slot.meeting_state == MeetingState.FAILED
