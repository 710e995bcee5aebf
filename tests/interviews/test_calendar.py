"""The staff calendar (カレンダー): week and month views, filters, role and tenant scoping, bad parameters,
a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from interviews import calendar as staff_calendar
from interviews.models import EventInterviewer, SlotInterviewer
from scheduling.models import MeetingState
from tests.helpers import client_for
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

URL = reverse("interviews:calendar")


def _slot(event, when: datetime, **kwargs):
    return SlotFactory(event=event, starts_at=when, ends_at=when + timedelta(hours=1), **kwargs)


def _days(response) -> dict[str, list[int]]:
    """date → slot ids shown in the grid (the day list on a phone repeats them)."""
    cal = response.context["cal"]
    return {
        day.date.isoformat(): [slot.pk for slot in day.slots]
        for week in cal.weeks
        for day in week
        if day.slots
    }


def _shown(response) -> set[int]:
    return {pk for pks in _days(response).values() for pk in pks}


@pytest.fixture
def acme_event(world):
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")
    return EventFactory(selection_meeting=meeting, name="対面面接")


def test_week_view_puts_a_slot_on_its_day_in_the_company_zone(as_admin, acme_event):
    # 00:30 JST on Tuesday 2026-12-08 is 15:30 UTC on Monday 2026-12-07.
    early = _slot(acme_event, datetime(2026, 12, 7, 15, 30, tzinfo=UTC))
    noon = _slot(acme_event, datetime(2026, 12, 10, 3, 0, tzinfo=UTC))  # Thu 12:00 JST
    response = as_admin.get(URL, {"view": "week", "date": "2026-12-09"})
    assert response.status_code == 200
    cal = response.context["cal"]
    assert cal.start.isoformat() == "2026-12-07"  # Monday
    assert [day.date.isoformat() for day in cal.weeks[0]][-1] == "2026-12-13"
    assert _days(response) == {"2026-12-08": [early.pk], "2026-12-10": [noon.pk]}
    page = response.content.decode()
    assert "00:30" in page and "12:00" in page
    assert reverse("scheduling:slot_detail", args=[early.pk]) in page
    assert "月" in page and "日" in page


def test_week_view_follows_the_company_time_zone_not_the_server(as_admin, world, acme_event):
    world.acme.company.time_zone = "America/New_York"
    world.acme.company.save()
    # 02:00 UTC on Tuesday is 21:00 on Monday in New York.
    slot = _slot(acme_event, datetime(2026, 12, 8, 2, 0, tzinfo=UTC))
    response = as_admin.get(URL, {"view": "week", "date": "2026-12-08"})
    assert _days(response) == {"2026-12-07": [slot.pk]}
    assert "21:00" in response.content.decode()


def test_month_view_shows_the_month_with_seats_and_issuance(as_admin, world, acme_event):
    zoom = ZoomEventFactory(selection_meeting=acme_event.selection_meeting, name="Web面接")
    first = _slot(acme_event, datetime(2026, 11, 30, 15, 30, tzinfo=UTC), capacity=3, booked_count=2)  # 12/1
    issued = _slot(zoom, datetime(2026, 12, 31, 5, 0, tzinfo=UTC), meeting_state=MeetingState.ISSUED)
    _slot(acme_event, datetime(2026, 11, 29, 3, 0, tzinfo=UTC))  # November: in the grid, not in range
    _slot(acme_event, datetime(2026, 12, 31, 15, 0, tzinfo=UTC))  # 2027-01-01 00:00 JST
    response = as_admin.get(URL, {"view": "month", "date": "2026-12-01"})
    cal = response.context["cal"]
    assert cal.start.isoformat() == "2026-12-01" and cal.end.isoformat() == "2027-01-01"
    assert cal.weeks[0][0].date.isoformat() == "2026-11-30"  # the grid starts on Monday
    assert _days(response) == {"2026-12-01": [first.pk], "2026-12-31": [issued.pk]}
    assert cal.total == 2
    page = response.content.decode()
    assert "2/3" in page
    assert 'data-meeting-state="issued"' in page
    assert "2026年12月" in page


def test_weekday_labels_are_japanese_and_english(as_admin, acme_event):
    page = as_admin.get(URL).content.decode()
    assert all(label in page for label in "月火水木金土日")
    as_admin.post(reverse("set_language"), {"language": "en", "next": URL})
    page = as_admin.get(URL).content.decode()
    assert all(label in page for label in ("Mon", "Tue", "Sat", "Sun"))
    with translation.override("en"):
        assert translation.gettext("カレンダー") in page


def test_navigation_links_move_by_week_and_month(as_admin, acme_event):
    cal = as_admin.get(URL, {"view": "week", "date": "2026-12-09", "event": acme_event.pk}).context["cal"]
    assert "date=2026-12-02" in cal.prev_url and "date=2026-12-16" in cal.next_url
    assert f"event={acme_event.pk}" in cal.next_url
    cal = as_admin.get(URL, {"view": "month", "date": "2026-01-15"}).context["cal"]
    assert "date=2025-12-01" in cal.prev_url and "date=2026-02-01" in cal.next_url
    assert "view=month" in cal.today_url


@pytest.mark.parametrize(
    "params",
    [
        {"view": "year", "date": "2026-13-45"},
        {"date": "yesterday"},
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"view": "month", "date": "2999-12"},
        {"date": "２０２６-１２-０１"},
        {"meeting": "abc", "event": "-1", "interviewer": "99999999999999999999999", "state": "bogus"},
        {"host": "<script>alert(1)</script>", "event": "1e3", "meeting": " "},
        {"date": "2026-12-01\x00"},
    ],
)
def test_bad_parameters_fall_back_gracefully(as_admin, acme_event, params):
    response = as_admin.get(URL, params)
    assert response.status_code == 200
    assert not response.context["cal"].filters.active


def test_bad_date_falls_back_to_today(as_admin, acme_event):
    cal = as_admin.get(URL, {"date": "2026-02-30"}).context["cal"]
    assert cal.anchor == cal.today


def test_filters_by_meeting_event_state(as_admin, world, acme_event):
    other_meeting = SelectionMeetingFactory(company=world.acme.company, name="二次面接")
    other_event = EventFactory(selection_meeting=other_meeting)
    zoom = ZoomEventFactory(selection_meeting=acme_event.selection_meeting)
    when = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    a = _slot(acme_event, when)
    b = _slot(other_event, when)
    c = _slot(zoom, when, meeting_state=MeetingState.FAILED)
    d = _slot(zoom, when, meeting_state=MeetingState.ISSUED)
    base = {"view": "week", "date": "2026-12-09"}
    assert _shown(as_admin.get(URL, base)) == {a.pk, b.pk, c.pk, d.pk}
    assert _shown(as_admin.get(URL, {**base, "meeting": other_meeting.pk})) == {b.pk}
    assert _shown(as_admin.get(URL, {**base, "event": zoom.pk})) == {c.pk, d.pk}
    assert _shown(as_admin.get(URL, {**base, "state": "issued"})) == {d.pk}
    assert _shown(as_admin.get(URL, {**base, "state": "problem"})) == {c.pk}
    # An event outside the chosen 選考会 is dropped (the 選考会 filter stays).
    response = as_admin.get(URL, {**base, "meeting": other_meeting.pk, "event": zoom.pk})
    assert _shown(response) == {b.pk}
    assert response.context["cal"].filters.event is None


def test_filters_by_interviewer_and_host(as_recruiter, world, acme_event):
    zoom = ZoomEventFactory(
        selection_meeting=acme_event.selection_meeting, meeting_host_email="Boss@Zoom.example.com"
    )
    when = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    by_event = _slot(acme_event, when)
    own = _slot(acme_event, when + timedelta(hours=2))
    hosted = _slot(zoom, when)
    company = world.acme.company
    EventInterviewer.objects.create(company=company, event=acme_event, user=world.acme.interviewer)
    # The slot with its own interviewers does not use the event's.
    SlotInterviewer.objects.create(company=company, slot=own, user=world.acme.admin)
    base = {"view": "week", "date": "2026-12-09"}
    assert _shown(as_recruiter.get(URL, {**base, "interviewer": world.acme.interviewer.pk})) == {by_event.pk}
    assert _shown(as_recruiter.get(URL, {**base, "interviewer": world.acme.admin.pk})) == {own.pk}
    assert _shown(as_recruiter.get(URL, {**base, "host": "boss@zoom.example.com"})) == {hosted.pk}
    page = as_recruiter.get(URL, base).content.decode()
    assert world.acme.interviewer.display_name in page  # the slot's interviewers are shown


def test_interviewer_sees_only_their_slots_and_no_people_filters(world, acme_event):
    when = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    mine = _slot(acme_event, when)
    other_event = EventFactory(selection_meeting=acme_event.selection_meeting, name="別イベント")
    _slot(other_event, when)
    hosted_event = ZoomEventFactory(
        selection_meeting=acme_event.selection_meeting, meeting_host_email=world.acme.interviewer.email
    )
    hosted = _slot(hosted_event, when + timedelta(hours=3))
    SlotInterviewer.objects.create(company=world.acme.company, slot=mine, user=world.acme.interviewer)
    client = client_for(world.acme.interviewer)
    response = client.get(URL, {"view": "week", "date": "2026-12-09", "interviewer": world.acme.admin.pk})
    assert response.status_code == 200
    assert _shown(response) == {mine.pk, hosted.pk}
    cal = response.context["cal"]
    assert cal.filters.interviewer is None
    assert {event.pk for event in cal.options.events} == {acme_event.pk, hosted_event.pk}
    page = response.content.decode()
    assert 'name="interviewer"' not in page and 'name="host"' not in page
    assert "別イベント" not in page
    # Each slot shown opens for the 面接官.
    for pk in (mine.pk, hosted.pk):
        assert client.get(reverse("scheduling:slot_detail", args=[pk])).status_code == 200


def test_other_company_slots_and_ids_never_show(as_admin, world, acme_event):
    when = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    mine = _slot(acme_event, when)
    foreign_meeting = SelectionMeetingFactory(company=world.other.company, name="他社の選考会")
    foreign_event = ZoomEventFactory(
        selection_meeting=foreign_meeting, name="他社イベント", meeting_host_email="x@other.example.com"
    )
    foreign = _slot(foreign_event, when)
    base = {"view": "week", "date": "2026-12-09"}
    response = as_admin.get(URL, base)
    assert _shown(response) == {mine.pk}
    assert "他社" not in response.content.decode()
    for params in (
        {"meeting": foreign_meeting.pk},
        {"event": foreign_event.pk},
        {"interviewer": world.other.interviewer.pk},
        {"host": "x@other.example.com"},
    ):
        response = as_admin.get(URL, {**base, **params})
        assert response.status_code == 200
        assert foreign.pk not in _shown(response)
        assert not response.context["cal"].filters.active
    other_view = client_for(world.other.admin).get(URL, base)
    assert _shown(other_view) == {foreign.pk}


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("view", ["week", "month"])
@pytest.mark.parametrize("role", ["admin", "interviewer"])
def test_query_count_is_fixed(world, acme_event, django_assert_max_num_queries, view, role):
    user = world.acme.user(role)
    EventInterviewer.objects.create(company=world.acme.company, event=acme_event, user=world.acme.interviewer)
    client = client_for(user)
    params = {"view": view, "date": "2026-12-09", "interviewer": world.acme.interviewer.pk}
    start = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    _slot(acme_event, start)
    with django_assert_max_num_queries(14) as few:
        client.get(URL, params)
    for index in range(40):
        slot = _slot(acme_event, start + timedelta(hours=index * 3))
        if index % 4 == 0:
            SlotInterviewer.objects.create(company=world.acme.company, slot=slot, user=world.acme.interviewer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, params)
    assert len(_shown(response)) > 10


def test_a_crowded_range_shows_counts_per_day(
    as_admin, acme_event, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(staff_calendar, "MAX_SLOTS", 3)
    start = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)  # 09:00 JST on 12/8
    for index in range(5):
        _slot(acme_event, start + timedelta(hours=index), capacity=2, booked_count=1)
    _slot(acme_event, datetime(2026, 12, 9, 15, 30, tzinfo=UTC))  # 00:30 JST on 12/10
    with django_assert_max_num_queries(12):
        response = as_admin.get(URL, {"view": "month", "date": "2026-12-01"})
    cal = response.context["cal"]
    assert cal.summarized and cal.total == 6
    summaries = {day.date.isoformat(): day.summary for day in cal.days if day.summary and day.summary.count}
    assert {key: (s.count, s.booked, s.capacity) for key, s in summaries.items()} == {
        "2026-12-08": (5, 5, 10),
        "2026-12-10": (1, 0, 1),
    }
    assert _shown(response) == set()
    assert "5件" in response.content.decode()
