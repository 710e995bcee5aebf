"""The personal calendar feed: a signed, revocable .ics URL with one VEVENT per interview, applicants' contact
details only when the company's admin allows it, never the Zoom start URL."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar
import pytest
from django.core.signing import Signer
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from interviews import feeds
from interviews.models import CalendarFeed, InterviewSettings
from notifications.rendering import contains_start_url
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import staff_book
from tests.helpers import client_for
from tests.interviews.helpers_assignments import assign_event, interviewer, slot_in, vevents, zoom_slot
from tests.probes.pages import LINE_BREAK, ics_texts, unfold_ics
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

MINE = "/interviews/mine/"


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing


@pytest.fixture
def company(world):
    return world.acme.company


@pytest.fixture
def tanaka(company):
    return interviewer(company, "田中 一郎", "tanaka@acme.example.com")


@pytest.fixture
def schedule(company, tanaka, world):
    """田中 interviews 一次面接 / 対面面接: one slot booked by 佐藤 花子 in three days, one empty in four."""
    event = EventFactory(
        selection_meeting=SelectionMeetingFactory(company=company, name="一次面接"),
        name="対面面接",
        place="東京本社 8F 面接室A",
    )
    booked, empty = slot_in(event, 3, hour=10), slot_in(event, 4)
    staff_book(
        booked,
        ApplicantFactory(company=company, name="佐藤 花子", email="hanako@example.jp", phone="090-1111-2222"),
    )
    assign_event(event, tanaka, actor=world.acme.recruiter)
    return booked, empty


def issue(client) -> dict[str, str]:
    response = client.post(reverse("interviews:calendar_feed_issue"))
    assert response.status_code == 302 and response["Location"] == MINE
    html = client.get(MINE).content.decode()
    return {kind: url for kind, url in feeds.feed_urls(CalendarFeed.objects.get()).items() if url in html}


def fetch(url: str):
    return Client().get(url.removeprefix("http://testserver"))


def calendar_of(url: str) -> str:
    response = fetch(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode()


def test_an_interviewer_subscribes_and_their_calendar_shows_each_interview(schedule, tanaka):
    booked, empty = schedule

    urls = issue(client_for(tanaka))

    assert set(urls) == {"https", "webcal"} and urls["webcal"].startswith(
        "webcal://testserver/interviews/calendar/"
    )
    ics = calendar_of(urls["https"])
    assert icalendar.Calendar.from_ical(ics)["METHOD"] == "PUBLISH"
    first, second = vevents(ics)
    assert str(first["UID"]) == f"e2rpro-slot-{booked.pk}-interview@testserver"
    assert first.decoded("DTSTART") == booked.starts_at
    assert f"DTSTART:{booked.starts_at.astimezone(UTC):%Y%m%dT%H%M%S}Z" in ics  # in UTC
    assert first.decoded("DTEND") == booked.ends_at
    assert str(first["SUMMARY"]) == "一次面接 対面面接" and str(first["LOCATION"]) == "東京本社 8F 面接室A"
    assert "佐藤 花子 様" in str(first["DESCRIPTION"]) and "田中 一郎" in str(first["DESCRIPTION"])
    assert str(second["SUMMARY"]) == "一次面接 対面面接（予約なし）"
    assert f"/interviews/mine/#slot-{empty.pk}" in str(second["URL"])
    assert [str(event["UID"]) for event in vevents(calendar_of(urls["https"]))] == [
        str(first["UID"]),
        str(second["UID"]),
    ]  # stable: a calendar updates the same events
    assert AuditEntry.objects.get(action="interview.feed_issued").details == {"version": 1}


def test_no_applicant_contact_unless_the_admin_allows_it(schedule, tanaka, world):
    urls = issue(client_for(tanaka))
    ics = unfold_ics(calendar_of(urls["https"]))
    assert "hanako@example.jp" not in ics and "090-1111-2222" not in ics
    assert "メールアドレスと電話番号は配信されません" in client_for(tanaka).get(MINE).content.decode()

    response = client_for(world.acme.admin).post(
        reverse("interviews:feed_settings"), {"include_applicant_contact": "on"}
    )

    assert response.status_code == 302
    assert InterviewSettings.objects.get(company=world.acme.company).feed_includes_applicant_contact
    description = str(vevents(calendar_of(urls["https"]))[0]["DESCRIPTION"])
    assert "佐藤 花子 様（hanako@example.jp / 090-1111-2222）" in description
    assert AuditEntry.objects.get(action="interview.feed_settings_changed").actor == world.acme.admin


def test_only_an_admin_changes_what_feeds_show(world):
    for user in (world.acme.recruiter, world.acme.interviewer):
        client = client_for(user)
        assert client.get(reverse("interviews:feed_settings")).status_code == 403
        assert (
            client.post(reverse("interviews:feed_settings"), {"include_applicant_contact": "on"}).status_code
            == 403
        )
    assert not InterviewSettings.objects.exists()
    assert client_for(world.acme.admin).get(reverse("interviews:feed_settings")).status_code == 200


def test_a_new_url_revokes_the_old_one(schedule, tanaka):
    client = client_for(tanaka)
    old = issue(client)["https"]

    response = client.post(reverse("interviews:calendar_feed_issue"), follow=True)

    assert "以前のURLは使えなくなりました" in response.content.decode()
    new = feeds.feed_urls(CalendarFeed.objects.get())["https"]
    assert new != old and new in response.content.decode() and old not in response.content.decode()
    assert fetch(old).status_code == 404 and fetch(new).status_code == 200


def test_stopping_delivery_revokes_the_url(schedule, tanaka):
    client = client_for(tanaka)
    url = issue(client)["https"]

    client.post(reverse("interviews:calendar_feed_stop"))

    assert fetch(url).status_code == 404
    html = client.get(MINE).content.decode()
    assert url not in html and "配信URLを発行" in html
    assert AuditEntry.objects.filter(action="interview.feed_stopped").exists()
    restarted = issue(client)["https"]
    assert restarted != url and fetch(restarted).status_code == 200 and fetch(url).status_code == 404


def test_a_tampered_foreign_or_unissued_token_answers_404(schedule, tanaka, world):
    issue(client_for(tanaka))
    feed = CalendarFeed.objects.get()
    token = feeds.feed_token(feed)
    other = interviewer(world.other.company, "他社 面接官", "x@other.example.com")
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature altered
        Signer(salt=feeds.FEED_SALT).sign(f"{other.pk}:1"),  # signed, but no feed issued for that user
        Signer(salt="another-purpose").sign(f"{tanaka.pk}:1"),  # another salt
        Signer(salt=feeds.FEED_SALT).sign(f"{tanaka.pk}:2"),  # a version not issued (yet)
        f"{tanaka.pk}:1",
        "probe",
    ]
    for value in forged:
        assert Client().get(reverse("interviews:calendar_feed", args=[value])).status_code == 404, value


def test_another_companys_feed_shows_only_its_own_interviews(schedule, world):
    other_event = EventFactory(
        selection_meeting=SelectionMeetingFactory(company=world.other.company, name="会社説明会")
    )
    slot_in(other_event, 3)
    assign_event(other_event, world.other.interviewer, actor=world.other.recruiter)

    url = issue(client_for(world.other.interviewer))["https"]

    ics = calendar_of(url)
    assert len(vevents(ics)) == 1 and "一次面接" not in ics and "佐藤" not in ics


def test_a_deactivated_users_feed_stops(schedule, tanaka):
    url = issue(client_for(tanaka))["https"]
    tanaka.is_active = False
    tanaka.save(update_fields=["is_active"])

    assert fetch(url).status_code == 404


def test_the_feed_answers_only_get_and_head_without_login(schedule, tanaka):
    url = issue(client_for(tanaka))["https"].removeprefix("http://testserver")

    assert Client().head(url).status_code == 200
    assert Client(enforce_csrf_checks=True).post(url).status_code == 403
    assert Client().post(url).status_code == 405
    assert CalendarFeed.objects.get().last_fetched_at is not None


def test_the_feed_carries_the_join_url_never_the_start_url(
    company, linked, fake_zoom, world, django_capture_on_commit_callbacks
):
    event = ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company),
        meeting_host_id="zhost0002",
        meeting_host_email=world.acme.interviewer.email,
    )
    slot = zoom_slot(event, 3, django_capture_on_commit_callbacks)

    ics = calendar_of(issue(client_for(world.acme.interviewer))["https"])

    [vevent] = vevents(ics)
    assert str(vevent["LOCATION"]) == slot.join_url and "Ab12Cd" in str(vevent["DESCRIPTION"])
    assert not contains_start_url(unfold_ics(ics))


def test_user_text_stays_inside_its_properties(company, tanaka, world):
    event = EventFactory(
        selection_meeting=SelectionMeetingFactory(company=company, name="一次" + LINE_BREAK),
        name="面接" + LINE_BREAK,
        place="本社" + LINE_BREAK,
    )
    slot = slot_in(event, 3)
    staff_book(slot, ApplicantFactory(company=company, name="佐藤" + LINE_BREAK))
    assign_event(event, tanaka, actor=world.acme.recruiter)

    ics = calendar_of(issue(client_for(tanaka))["https"])

    for line in unfold_ics(ics).splitlines():
        assert not line.upper().startswith(("X-INJECTED", "ATTENDEE"))
    assert any("X-INJECTED:1" in text for text in ics_texts(ics))  # kept, as text inside a property


def test_the_past_30_days_are_in_the_feed_and_older_interviews_are_not(company, tanaka, world):
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company))
    recent, old = slot_in(event, -20), slot_in(event, -31)
    assign_event(event, tanaka, actor=world.acme.recruiter)

    ics = calendar_of(issue(client_for(tanaka))["https"])

    uids = [str(event["UID"]) for event in vevents(ics)]
    assert uids == [f"e2rpro-slot-{recent.pk}-interview@testserver"]
    assert old.ends_at < recent.starts_at - timedelta(days=10)
