"""The applicant's page lists slots by date (company's zone, with the weekday), folds the full ones, and
after booking offers カレンダーに追加: the booking's .ics behind the personal link, and a Google Calendar
link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from booking import links, selectors
from booking import services as booking_services
from booking.mail import google_calendar_url
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import applicant_book, days_ahead, invite, link, slot_for, staff_book
from tests.scheduling.factories import SelectionMeetingFactory, SlotFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

WEEKDAYS = "月火水木金土日"


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def heading(local: datetime) -> str:
    return f"{local.month}月{local.day}日（{WEEKDAYS[local.weekday()]}）"


def at(event, days: int, hour: int, minute: int = 0, **kwargs):
    starts = days_ahead(days, hour, tz=event.company.tzinfo).replace(minute=minute)
    return SlotFactory(event=event, starts_at=starts, ends_at=starts + timedelta(minutes=30), **kwargs)


# --- grouping --------------------------------------------------------------------------------------------


def test_slots_are_grouped_by_their_japanese_date_with_the_weekday(browser, invitation, event, company):
    early = at(event, 5, 0, 30, capacity=2)  # 00:30 JST: the day before in UTC
    afternoon = at(event, 5, 14, capacity=2)
    next_day = at(event, 6, 10, capacity=2)
    tz = company.tzinfo
    assert early.starts_at.astimezone(UTC).date() != timezone.localtime(early.starts_at, tz).date()

    content = page(browser.get(link(invitation)))

    first, second = (
        heading(timezone.localtime(early.starts_at, tz)),
        heading(timezone.localtime(next_day.starts_at, tz)),
    )
    assert content.count(first) == 1 and content.count(second) == 1
    start_first, start_second = content.index(first), content.index(second)
    for slot in (early, afternoon):
        assert start_first < content.index(f"/slots/{slot.pk}/") < start_second
    assert content.index(f"/slots/{next_day.pk}/") > start_second
    assert "00:30〜01:00" in content and "14:00〜14:30" in content


def test_slot_days_group_by_the_company_zone_not_utc(event, company, applicant):
    early, late = at(event, 5, 0, 30), at(event, 4, 23, 30)
    options = selectors.applicant_slot_options([event], applicant=applicant, now=timezone.now())[event.pk]

    days = selectors.slot_days(options, company.tzinfo)

    assert [day.day for day in days] == [
        timezone.localtime(late.starts_at, company.tzinfo).date(),
        timezone.localtime(early.starts_at, company.tzinfo).date(),
    ]
    local = timezone.localtime(early.starts_at, company.tzinfo)
    assert days[1].label == heading(local)


def test_full_slots_are_folded_per_day_with_their_count(browser, invitation, event, company):
    free = at(event, 5, 10, capacity=1)
    full = [at(event, 5, hour, capacity=1) for hour in (12, 15)]
    for slot in full:
        staff_book(slot, ApplicantFactory(company=company))

    content = page(browser.get(link(invitation)))

    fold = re.search(r"<details[^>]*>.*?</details>", content, re.S)
    assert fold is not None
    assert "満席の日程（2件）" in fold.group(0)
    for slot in full:
        assert f"/slots/{slot.pk}/wait/" in fold.group(0)
    assert f"/slots/{free.pk}/" not in fold.group(0) and f"/slots/{free.pk}/" in content
    assert "<details" in content and " open" not in fold.group(0).split(">")[0]


def test_the_fold_is_open_when_the_applicant_waits_in_it(browser, invitation, event, company, applicant):
    full = at(event, 5, 12, capacity=1)
    staff_book(full, ApplicantFactory(company=company))
    booking_services.join_waitlist(slot=full, applicant=applicant, invitation=invitation)

    content = page(browser.get(link(invitation)))

    assert re.search(r"<details[^>]*\bopen\b", content)


def test_the_change_page_groups_and_folds_too(browser, invitation, event, applicant, company):
    booking = applicant_book(at(event, 5, 10, capacity=2), applicant, invitation)
    other = at(event, 6, 10, capacity=2)
    full = at(event, 6, 11, capacity=1)
    staff_book(full, ApplicantFactory(company=company))

    content = page(browser.get(link(invitation, f"bookings/{booking.pk}/change/")))

    assert heading(timezone.localtime(other.starts_at, company.tzinfo)) in content
    assert f"/change/{other.pk}/" in content and "満席の日程（1件）" in content
    assert f"/change/{full.pk}/" not in content


# --- カレンダーに追加 -------------------------------------------------------------------------------------


@pytest.fixture
def zoom_booking(company, linked, applicant):
    meeting = SelectionMeetingFactory(company=company, name="二次面接")
    event = ZoomEventFactory(
        selection_meeting=meeting,
        name="Web面接",
        meeting_host_id="zhost0001",
        meeting_host_email="host@zoom.example.com",
    )
    slot = slot_for(
        event, capacity=2, join_url="https://zoom.us/j/81234567890?pwd=abc", meeting_passcode="424242"
    )
    invitation = invite(applicant, event)
    return applicant_book(slot, applicant, invitation), invitation


def ics_url(invitation, booking) -> str:
    return link(invitation, f"bookings/{booking.pk}/calendar.ics")


def test_the_booked_page_offers_the_ics_and_the_google_link(browser, zoom_booking):
    booking, invitation = zoom_booking

    content = page(browser.get(link(invitation, f"bookings/{booking.pk}/")))

    assert "カレンダーに追加" in content
    assert ics_url(invitation, booking) in content
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE&amp;" in content


def test_the_ics_holds_one_event_with_the_booking_times_and_no_start_url(browser, zoom_booking):
    booking, invitation = zoom_booking

    response = browser.get(ics_url(invitation, booking))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == booking.slot.starts_at
    assert event.decoded("dtend") == booking.slot.ends_at
    assert str(event["uid"]).startswith(f"e2rpro-booking-{booking.pk}@")
    assert "https://zoom.us/j/81234567890" in body.replace("\r\n ", "")
    assert "zak=" not in body and not re.search(r"/s/\d{6,}", body)


def test_a_cancelled_booking_has_no_ics(browser, zoom_booking):
    booking, invitation = zoom_booking
    booking_services.cancel_booking(booking=booking, actor=None, notify=False)

    assert browser.get(ics_url(invitation, booking)).status_code == 404


def test_another_applicants_booking_has_no_ics_through_this_link(browser, zoom_booking, company):
    booking, _invitation = zoom_booking
    stranger = ApplicantFactory(company=company)
    theirs = invite(stranger, booking.event)

    assert browser.get(ics_url(theirs, booking)).status_code == 404


def test_a_tampered_or_expired_link_answers_404_for_the_ics(browser, zoom_booking):
    booking, invitation = zoom_booking
    token = links.make_token(invitation)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert browser.get(f"/b/{tampered}/bookings/{booking.pk}/calendar.ics").status_code == 404
    invitation.revoked_at = timezone.now()
    invitation.save()
    assert browser.get(ics_url(invitation, booking)).status_code == 404
    old = signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=links.SALT)
    invitation.revoked_at = None
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    assert browser.get(f"/b/{old}/bookings/{booking.pk}/calendar.ics").status_code == 404


def test_the_google_link_carries_the_booking_in_utc_safely_encoded(zoom_booking):
    booking, _invitation = zoom_booking
    booking.slot.event.place = "本社 & 別館?a=1#x"

    url = google_calendar_url(booking)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "calendar.google.com", "/calendar/render")
    query = parse_qs(parts.query, strict_parsing=True)
    assert {key: len(values) for key, values in query.items()} == {
        "action": 1,
        "text": 1,
        "dates": 1,
        "details": 1,
        "location": 1,
    }
    start = booking.slot.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    end = booking.slot.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == [f"{start}/{end}"]
    assert query["text"] == ["二次面接 Web面接（" + booking.company.name + "）"]
    assert query["location"] == ["https://zoom.us/j/81234567890?pwd=abc"]
    assert "パスコード: 424242" in query["details"][0] and "本社 & 別館?a=1#x" in query["details"][0]
    assert " " not in parts.query and "#" not in url


def test_the_google_link_uses_the_place_for_an_office_interview(invitation, event, slot, applicant):
    booking = applicant_book(slot, applicant, invitation)

    query = parse_qs(urlsplit(google_calendar_url(booking)).query)

    assert query["location"] == ["東京本社 8F 面接室A"]
    assert "zoom" not in query["details"][0].lower()
    assert reverse("booking:home", args=["x"]).split("x")[0] in query["details"][0]
