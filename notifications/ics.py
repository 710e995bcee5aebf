"""Calendar invites (.ics, RFC 5545 / iTIP RFC 5546) attached to booking mails.

One booking is one calendar event for its whole life: the same UID on every mail, SEQUENCE raised on every
change (a calendar keeps the copy with the highest SEQUENCE), METHOD:REQUEST to add or update it and
METHOD:CANCEL (with STATUS:CANCELLED) to remove it. Times carry the company's TZID with a VTIMEZONE that
describes it, so every calendar converts them to the same instant.

User text (names, place, notes) never brings its own line breaks: in DESCRIPTION each becomes one LF (which
icalendar writes as ``\\n``), in single-line values (SUMMARY, LOCATION, URL, CN) a space, so a bare CR or a
U+2028 cannot start a property of its own in a calendar program that ends lines there.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone

from notifications.text import replace_line_breaks

PRODID = "-//e2RPRO//Recruitment Booking//JA"


class InviteMethod(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


def invite_uid(key: str | int) -> str:
    """A stable, globally unique UID for the thing ``key`` names, e.g. ``invite_uid(f"booking-{pk}")``."""
    host = urlsplit(settings.SITE_URL).hostname or "e2rpro.invalid"
    return f"e2rpro-{key}@{host}"


def _one_line(text: str) -> str:
    return replace_line_breaks(text, " ")


def _address(email: str, name: str | None, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{_one_line(email)}")
    if name:
        address.params["CN"] = icalendar.vText(_one_line(name))
    for key, value in params.items():
        address.params[key.upper().replace("_", "-")] = icalendar.vText(value)
    return address


def build_invite(
    *,
    uid: str,
    sequence: int,
    method: str,
    start: datetime,
    end: datetime,
    tz_name: str,
    summary: str,
    description: str = "",
    location: str = "",
    organizer_email: str,
    attendee_email: str,
    url: str | None = None,
    organizer_name: str | None = None,
    attendee_name: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD ``method``, as bytes for a text/calendar attachment."""
    method = InviteMethod(method)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("end must be after start")
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    tz = ZoneInfo(tz_name)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or timezone.now()).astimezone(ZoneInfo("UTC")))
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", _one_line(summary))
    if description:
        event.add("description", replace_line_breaks(description, "\n"))
    if location:
        event.add("location", _one_line(location))
    if url:
        event.add("url", _one_line(url))
    event.add("status", "CANCELLED" if method == InviteMethod.CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(organizer_email, organizer_name))
    event.add(
        "attendee",
        _address(
            attendee_email,
            attendee_name,
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp="FALSE",
        ),
    )
    calendar.add_component(event)
    # The zone's rules around the event, before the event that uses them (Outlook reads in order): the
    # VTIMEZONE's lines, serialized once per zone and years, go in front of the VEVENT's.
    zone = _vtimezone(tz_name, *_zone_years(start.date(), end.date()))
    return calendar.to_ical().replace(b"\r\nBEGIN:VEVENT\r\n", b"\r\n" + zone + b"BEGIN:VEVENT\r\n", 1)


def _zone_years(first_day: date, last_day: date) -> tuple[int, int]:
    """The whole years the VTIMEZONE of an event on these days describes: a year of rules either side."""
    return (first_day - timedelta(days=366)).year, (last_day + timedelta(days=366)).year


@functools.lru_cache(maxsize=128)
def _vtimezone(tz_name: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``tz_name`` for whole years, serialized (computing it takes tens of milliseconds
    and serializing it about one: cached)."""
    return icalendar.Timezone.from_tzid(
        tz_name, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
    ).to_ical()


def prepare_zone(tz_name: str, today: date) -> None:
    """Compute ahead the VTIMEZONE that invites for events this year and next use (a web worker does it
    when it starts, not in its first booking)."""
    for year in (today.year, today.year + 1):
        mid_year = date(year, 7, 1)
        _vtimezone(tz_name, *_zone_years(mid_year, mid_year))


_METHOD_LINE = re.compile(r"^METHOD[;:](?:[^\r\n:]*:)?([^\r\n]*)", re.MULTILINE | re.IGNORECASE)


def invite_method(ics: bytes | str) -> str:
    """The METHOD of a calendar object ("REQUEST", "CANCEL", ...), or "" when it has none.

    Read from the VCALENDAR's own METHOD line (always short, so never folded) instead of parsing the whole
    object: a VEVENT has no METHOD property."""
    text = ics.decode("utf-8") if isinstance(ics, bytes) else ics
    found = _METHOD_LINE.search(text)
    return found.group(1).strip().upper() if found else ""
