"""マイ面接: every staff user's upcoming and recent interviews, in the company's zone, with the applicants of
the active bookings, the place or the Zoom join link, and ホストとして開始 only for the meeting's host."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import services as booking_services
from interviews import feeds
from notifications.rendering import contains_start_url
from scheduling.models import MAX_SLOT_LENGTH
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
from tests.interviews.helpers_evaluations import make_scene
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

URL = "/interviews/mine/"


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


def page(client, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section(html: str, heading: str) -> str:
    """The part of the page from ``heading`` to the next section heading."""
    start = html.index(heading)
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else None]


def test_the_reverse_of_my_interviews_is_the_documented_url():
    assert reverse("interviews:my_interviews") == URL


def test_upcoming_and_recent_interviews_in_the_companys_zone(company, event, tanaka, world):
    company.time_zone = "America/New_York"
    company.save(update_fields=["time_zone"])
    upcoming, recent, old = slot_in(event, 3, hour=9), slot_in(event, -10, hour=15), slot_in(event, -40)
    assign_event(event, tanaka, actor=world.acme.recruiter)
    staff_book(upcoming, ApplicantFactory(company=company, name="佐藤 花子"))

    html = page(client_for(tanaka))

    coming = section(html, "今後の面接")
    assert f"{upcoming.starts_at.astimezone(company.tzinfo):%Y/%m/%d}" in coming and "09:00–10:00" in coming
    assert "一次面接 / 対面面接" in coming and "佐藤 花子" in coming and "東京本社 8F 面接室A" in coming
    past = section(html, "最近の面接（過去30日）")
    assert "15:00–16:00" in past and "予約なし" in past
    assert f"slot-{old.pk}" not in html and f"slot-{recent.pk}" in past and f"slot-{upcoming.pk}" in coming


def test_the_longest_slots_are_listed_while_they_run_and_after(event, tanaka, world):
    """The agenda bounds its reads by start with the longest a slot may last (MAX_SLOT_LENGTH): slots of
    nearly that length, started long ago, are still there."""
    now = timezone.now()
    longest = MAX_SLOT_LENGTH - timedelta(minutes=1)
    running = slot_at(event, now - longest + timedelta(hours=1), minutes=int(longest.total_seconds() // 60))
    ended = slot_at(event, now - longest - timedelta(hours=1), minutes=int(longest.total_seconds() // 60))
    assign_event(event, tanaka, actor=world.acme.recruiter)

    html = page(client_for(tanaka))

    assert f"slot-{running.pk}" in section(html, "今後の面接")
    assert f"slot-{ended.pk}" in section(html, "最近の面接（過去30日）")


def test_only_active_bookings_name_their_applicants(company, event, tanaka, world):
    slot = slot_in(event, 3, capacity=3)
    assign_slot(slot, tanaka, actor=world.acme.recruiter)
    staff_book(slot, ApplicantFactory(company=company, name="佐藤 花子"))
    cancelled = staff_book(slot, ApplicantFactory(company=company, name="鈴木 一郎"))
    booking_services.cancel_booking(booking=cancelled, actor=world.acme.recruiter)

    html = page(client_for(tanaka))

    assert "佐藤 花子" in html and "鈴木 一郎" not in html


def test_an_interviewer_sees_only_their_own_interviews(company, event, tanaka, world):
    mine, theirs = slot_in(event, 3, hour=9), slot_in(event, 3, hour=13)
    assign_slot(mine, tanaka, actor=world.acme.recruiter)
    assign_slot(theirs, world.acme.interviewer, actor=world.acme.recruiter)
    staff_book(theirs, ApplicantFactory(company=company, name="他人 の応募者"))
    other_event = EventFactory(selection_meeting=SelectionMeetingFactory(company=world.other.company))
    other = slot_in(other_event, 3)
    assign_slot(other, world.other.interviewer, actor=world.other.recruiter)

    html = page(client_for(tanaka))

    assert f"slot-{mine.pk}" in html
    assert f"slot-{theirs.pk}" not in html and "他人 の応募者" not in html and f"slot-{other.pk}" not in html


def test_only_booked_slots_on_request(event, tanaka, world, company):
    booked, empty = slot_in(event, 3, hour=9), slot_in(event, 4)
    assign_event(event, tanaka, actor=world.acme.recruiter)
    staff_book(booked, ApplicantFactory(company=company))

    html = page(client_for(tanaka), "?only_booked=1")

    assert f"slot-{booked.pk}" in html and f"slot-{empty.pk}" not in html
    assert f"slot-{empty.pk}" in page(client_for(tanaka))


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_rows(
    company, event, tanaka, world, django_assert_max_num_queries
):
    assign_event(event, tanaka, world.acme.interviewer, actor=world.acme.recruiter)
    staff_book(slot_in(event, 1, capacity=2), ApplicantFactory(company=company))
    slot_in(event, -1)
    client = client_for(tanaka)
    page(client)  # records the company's overdue evaluations' count (its first visit counts in full)
    with CaptureQueriesContext(connection) as one_row:
        page(client)
    for day in range(2, 22):
        slot = slot_in(event, day, capacity=2)
        staff_book(slot, ApplicantFactory(company=company))
        staff_book(slot, ApplicantFactory(company=company))
        if day % 2:
            assign_slot(slot, tanaka, actor=world.acme.recruiter)
    for day in range(2, 6):
        slot_in(event, -day)

    page(client)  # the assignments voided the record: this visit counts again
    with CaptureQueriesContext(connection) as many_rows, django_assert_max_num_queries(17):
        html = page(client)

    assert html.count('id="slot-') == 26
    assert len(many_rows) == len(one_row)


def test_every_staff_role_has_my_interviews_after_the_dashboard(world):
    for user in (world.acme.admin, world.acme.recruiter, world.acme.interviewer):
        html = client_for(user).get("/").content.decode()
        menu = html[html.index('id="main-nav"') :]
        assert menu.index("ダッシュボード") < menu.index("マイ面接") and f'href="{URL}"' in menu


def test_visitors_are_sent_to_login(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_the_evaluations_the_interviewer_owes_are_listed_with_a_link_to_write_them(world):
    scene = make_scene(world.acme)

    html = page(client_for(scene.first))

    assert "評価の入力" in html and "佐藤 花子" in html and "期限切れ" in html
    evaluate = reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])
    assert evaluate in html


def test_without_evaluations_due_the_page_has_no_evaluation_section(tanaka):
    assert "評価の入力" not in page(client_for(tanaka))


def test_the_table_stacks_on_a_phone(event, tanaka, world):
    assign_event(event, tanaka, actor=world.acme.recruiter)
    slot_in(event, 3)

    html = page(client_for(tanaka))

    assert 'class="table table--stack agenda"' in html and 'data-label="応募者"' in html


# --- Zoom: the join link for everyone, ホストとして開始 for the meeting's host only ----------------------


@pytest.fixture
def hosted_by_interviewer(company, linked, fake_zoom, world, tanaka, django_capture_on_commit_callbacks):
    """A Zoom slot whose meeting follows its interviewer: world.acme.interviewer (zhost0002) hosts it,
    田中 (no Zoom user) interviews it too."""
    event = ZoomEventFactory(selection_meeting=SelectionMeetingFactory(company=company, name="二次面接"))
    client_for(world.acme.recruiter).post(
        reverse("interviews:event_zoom_host", args=[event.pk]), {"zoom_host_follows_interviewer": "on"}
    )
    assign_event(event, world.acme.interviewer, tanaka, actor=world.acme.recruiter)
    slot = zoom_slot(event, 4, django_capture_on_commit_callbacks)
    staff_book(slot, ApplicantFactory(company=company, name="佐藤 花子"))
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0002"
    return slot


def test_the_meetings_host_may_start_it_from_my_interviews(world, hosted_by_interviewer, fake_zoom):
    slot = hosted_by_interviewer
    client = client_for(world.acme.interviewer)

    html = page(client)

    start = reverse("scheduling:slot_start", args=[slot.pk])
    assert f'href="{start}"' in html and "ホストとして開始" in html and slot.join_url in html
    assert not contains_start_url(html)
    assert client.get(start)["Location"] == fake_zoom.meetings[slot.meeting_id]["start_url"]


def test_a_co_interviewer_gets_the_join_link_but_not_the_start(tanaka, hosted_by_interviewer):
    slot = hosted_by_interviewer

    html = page(client_for(tanaka))

    assert slot.join_url in html and "ホストとして開始" not in html
    assert client_for(tanaka).get(reverse("scheduling:slot_start", args=[slot.pk])).status_code == 403


def test_the_event_host_no_longer_starts_a_meeting_the_interviewer_hosts(company, hosted_by_interviewer):
    event_host = interviewer(company, "ホスト 太郎", "host@zoom.example.com")

    html = page(client_for(event_host))

    assert f"slot-{hosted_by_interviewer.pk}" in html  # the event is theirs in Zoom: listed
    assert "ホストとして開始" not in html


def test_the_agenda_reads_every_column_its_page_and_feed_show(
    world,
    company,
    event,
    hosted_by_interviewer,
    django_assert_num_queries,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    """The agenda loads only the columns it names: it, the page and the feed must find all they read loaded
    (a column left out costs a query per row)."""
    slot_in(event, 2, hour=9)
    assign_event(event, world.acme.interviewer, actor=world.acme.recruiter)
    hosted_by_event_host = ZoomEventFactory(selection_meeting=SelectionMeetingFactory(company=company))
    zoom_slot(hosted_by_event_host, 3, django_capture_on_commit_callbacks)
    assign_event(hosted_by_event_host, world.acme.interviewer, actor=world.acme.recruiter)
    user = world.acme.interviewer
    with django_assert_max_num_queries(8):  # five, and three for the user's web-meeting host ids
        interviews = feeds.agenda(user).all
    assert {interview.slot.pk for interview in interviews} >= {hosted_by_interviewer.pk}

    with django_assert_num_queries(0):
        html = render_to_string(
            "interviews/assignments/_agenda_table.html", {"interviews": interviews, "user": user}
        )
        events = [
            feeds._vevent(interview, contact=True, stamp=hosted_by_interviewer.updated_at)
            for interview in interviews
        ]

    assert hosted_by_interviewer.join_url in html and "ホストとして開始" in html and "佐藤 花子" in html
    assert "東京本社 8F 面接室A" in html and "二次面接" in html and "一次面接" in html
    hosted = next(e for e in events if str(e["UID"]).startswith(f"e2rpro-slot-{hosted_by_interviewer.pk}-"))
    booked = hosted_by_interviewer.bookings.get().applicant
    assert f"佐藤 花子 様（{booked.email}" in str(hosted["DESCRIPTION"])
    assert str(hosted["LOCATION"]) == hosted_by_interviewer.join_url


def test_the_recent_interviews_offer_no_start(world, hosted_by_interviewer):
    slot = hosted_by_interviewer
    slot.starts_at -= timedelta(days=10)
    slot.ends_at -= timedelta(days=10)
    slot.save(update_fields=["starts_at", "ends_at"])

    html = page(client_for(world.acme.interviewer))

    assert "ホストとして開始" not in section(html, "最近の面接")


def test_many_recent_interviews_never_crowd_out_the_upcoming_ones(company, event, tanaka, world, monkeypatch):
    # One bound for both once filled the list with the oldest past interviews and showed none upcoming
    # (an interviewer of ten interviews a day in the scale data set saw 今後の面接（0件）).
    monkeypatch.setattr(feeds, "UPCOMING_ROWS", 2)
    monkeypatch.setattr(feeds, "RECENT_ROWS", 2)
    assign_event(event, tanaka, actor=world.acme.recruiter)
    past = [slot_in(event, -day) for day in (1, 2, 3, 4)]
    future = [slot_in(event, day) for day in (1, 2, 3)]

    agenda = feeds.agenda(tanaka)

    assert [item.slot for item in agenda.upcoming] == future[:2]  # the soonest
    assert [item.slot for item in agenda.recent] == past[:2]  # the latest
    assert agenda.truncated
    html = page(client_for(tanaka))
    assert "今後の面接（2件）" in html and "件数が多いため、一部のみ表示しています。" in html
