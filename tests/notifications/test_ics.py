from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from notifications.ics import build_invite, invite_method, invite_uid

START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 14:00 JST
END = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 25, 3, 4, 5, tzinfo=UTC)


def _invite(**overrides) -> bytes:
    arguments = {
        "uid": "e2rpro-booking-42@testserver",
        "sequence": 0,
        "method": "REQUEST",
        "start": START,
        "end": END,
        "tz_name": "Asia/Tokyo",
        "summary": "一次面接（株式会社アクメ）",
        "description": "ZoomミーティングURL: https://zoom.us/j/91033400269?pwd=abc\nパスコード: Fshh7d",
        "location": "https://zoom.us/j/91033400269?pwd=abc",
        "organizer_email": "no-reply@example.com",
        "organizer_name": "株式会社アクメ",
        "attendee_email": "taro@example.com",
        "attendee_name": "山田 太郎",
        "url": "http://testserver/b/personal-token/",
        "stamp": STAMP,
    }
    arguments.update(overrides)
    return build_invite(**arguments)


def _event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_a_request_invite_parses_back_with_every_property():
    calendar = icalendar.Calendar.from_ical(_invite())
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//e2RPRO//Recruitment Booking//JA"
    assert calendar["METHOD"] == "REQUEST"
    event = _event(calendar)
    assert event["UID"] == "e2rpro-booking-42@testserver"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP") == STAMP
    assert event["SUMMARY"] == "一次面接（株式会社アクメ）"
    assert (
        event["DESCRIPTION"]
        == "ZoomミーティングURL: https://zoom.us/j/91033400269?pwd=abc\nパスコード: Fshh7d"
    )
    assert event["LOCATION"] == "https://zoom.us/j/91033400269?pwd=abc"
    assert event["URL"] == "http://testserver/b/personal-token/"
    assert event["STATUS"] == "CONFIRMED"
    assert event["TRANSP"] == "OPAQUE"
    assert str(event["ORGANIZER"]) == "mailto:no-reply@example.com"
    assert event["ORGANIZER"].params["CN"] == "株式会社アクメ"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:taro@example.com"
    assert attendee.params["CN"] == "山田 太郎"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_times_carry_the_company_zone_and_convert_to_the_same_instant():
    raw = _invite().decode()
    assert "DTSTART;TZID=Asia/Tokyo:20261201T140000" in raw
    assert "DTEND;TZID=Asia/Tokyo:20261201T150000" in raw
    calendar = icalendar.Calendar.from_ical(raw)
    event = _event(calendar)
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 9 * 3600


def test_the_zone_is_described_by_a_vtimezone_before_the_event():
    raw = _invite(tz_name="America/New_York").decode()
    assert raw.index("BEGIN:VTIMEZONE") < raw.index("BEGIN:VEVENT")
    calendar = icalendar.Calendar.from_ical(raw)
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["America/New_York"]
    # Both offsets are described, so a calendar without the zone database still converts correctly.
    offsets = {part.decoded("TZOFFSETTO") for part in zones[0].subcomponents}
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}
    event = _event(calendar)
    assert "DTSTART;TZID=America/New_York:20261201T000000" in raw
    assert event.decoded("DTSTART").astimezone(UTC) == START


def test_a_cancel_keeps_the_uid_and_says_cancelled():
    calendar = icalendar.Calendar.from_ical(_invite(method="CANCEL", sequence=3))
    assert calendar["METHOD"] == "CANCEL"
    event = _event(calendar)
    assert event["UID"] == "e2rpro-booking-42@testserver"
    assert event.decoded("SEQUENCE") == 3
    assert event["STATUS"] == "CANCELLED"


def test_a_change_raises_the_sequence_on_the_same_uid():
    first = _event(icalendar.Calendar.from_ical(_invite(sequence=0)))
    moved = _event(
        icalendar.Calendar.from_ical(
            _invite(sequence=1, start=START.replace(hour=6), end=END.replace(hour=7))
        )
    )
    assert first["UID"] == moved["UID"]
    assert moved.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert moved.decoded("DTSTART").astimezone(ZoneInfo("Asia/Tokyo")).hour == 15


def test_lines_use_crlf_and_are_folded_at_75_octets():
    raw = _invite(summary="とても長い件名" * 20)
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_invite_uid_is_stable_and_names_the_site():
    assert invite_uid("booking-42") == invite_uid("booking-42") == "e2rpro-booking-42@testserver"


def test_invite_method_reads_the_method_back():
    assert invite_method(_invite(method="CANCEL")) == "CANCEL"


@pytest.mark.parametrize(
    "overrides",
    [
        {"start": datetime(2026, 12, 1, 14, 0)},  # naive
        {"end": START},  # not after start
        {"method": "PUBLISH"},
        {"sequence": -1},
    ],
)
def test_bad_arguments_are_refused(overrides):
    with pytest.raises(ValueError):
        _invite(**overrides)


def test_the_zone_a_worker_prepares_is_the_one_an_invite_of_this_year_or_next_uses():
    from datetime import date

    from notifications import ics

    ics._vtimezone.cache_clear()
    ics.prepare_zone("Europe/Berlin", date(2026, 5, 1))
    prepared = ics._vtimezone.cache_info().misses

    for start in (datetime(2026, 7, 1, 8, tzinfo=UTC), datetime(2027, 3, 2, 8, tzinfo=UTC)):
        _invite(start=start, end=start + timedelta(hours=1), tz_name="Europe/Berlin")

    assert ics._vtimezone.cache_info().misses == prepared  # computed once, at the worker's start
