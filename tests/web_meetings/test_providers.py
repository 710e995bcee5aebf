"""The web-meeting provider interface: Zoom is registered behind it and maps its answers to it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from google_meet.provider import GoogleMeetProvider
from scheduling.models import WebMeeting
from teams_integration.provider import TeamsProvider
from web_meetings import errors
from web_meetings.providers import MeetingSpec, provider_for, registered_keys
from zoom_integration import client
from zoom_integration.provider import ZoomProvider, as_meeting, create_body


def test_each_web_meeting_choice_has_its_registered_provider():
    assert registered_keys() == ["zoom", "teams", "google"]
    assert isinstance(provider_for("zoom"), ZoomProvider)
    assert isinstance(provider_for("teams"), TeamsProvider)
    assert isinstance(provider_for("google"), GoogleMeetProvider)
    assert {key for key, _label in WebMeeting.choices} == {"none", *registered_keys()}
    with pytest.raises(KeyError):
        provider_for("none")


@pytest.mark.parametrize(
    ("zoom_class", "common_class"),
    [
        (client.ZoomTemporaryError, errors.TemporaryError),
        (client.ZoomDailyLimitExceeded, errors.DailyLimitExceeded),
        (client.ZoomDailyLimitExceeded, errors.TemporaryError),
        (client.ZoomNotFound, errors.NotFound),
        (client.ZoomNotFound, errors.PermanentError),
        (client.ZoomNotLinked, errors.NotLinked),
        (client.ZoomReauthorizationRequired, errors.ReauthorizationRequired),
    ],
)
def test_zoom_errors_are_the_common_errors_issuance_acts_on(zoom_class, common_class):
    retry_after = datetime(2027, 1, 1, tzinfo=UTC)
    error = zoom_class("rate", status=429, retry_after=retry_after)
    assert isinstance(error, common_class) and isinstance(error, client.ZoomError)
    assert (error.message, error.status, error.retry_after) == ("rate", 429, retry_after)


def test_a_zoom_meeting_keeps_the_join_url_and_drops_the_host_start_url():
    meeting = as_meeting(
        {
            "id": 81234567890,
            "join_url": "https://zoom.example/j/81234567890",
            "start_url": "https://zoom.example/s/81234567890?zak=secret",
            "password": "abc123",
            "start_time": "2027-01-05T01:00:00Z",
            "duration": 45,
            "topic": "一次面接",
        }
    )
    assert meeting.id == "81234567890" and meeting.passcode == "abc123"
    assert meeting.start == datetime(2027, 1, 5, 1, 0, tzinfo=UTC) and meeting.duration_minutes == 45
    assert meeting.agenda is None  # left out of a list item: the lookup asks for the meeting itself
    assert "zak=" not in repr(meeting)


def test_the_zoom_body_gives_the_start_in_utc_with_z():
    spec = MeetingSpec(
        topic="一次面接",
        start=datetime(2027, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
        duration_minutes=45,
        time_zone="Asia/Tokyo",
        agenda="marker",
    )
    body = create_body(spec)
    assert body["start_time"] == "2027-01-05T01:00:00Z"  # Zoom reads a time without Z as local time
    assert body["duration"] == 45 and body["agenda"] == "marker" and body["timezone"] == "Asia/Tokyo"
    assert body["settings"]["waiting_room"] is True and body["default_password"] is True
