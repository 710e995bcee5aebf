"""Zoom as a web-meeting provider (web_meetings.providers.MeetingProvider): the meeting bodies Zoom wants and
its answers as ``Meeting`` values, over ``client.py`` (the only HTTP to Zoom)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Company
from web_meetings.providers import Meeting, MeetingSpec
from zoom_integration import client
from zoom_integration.models import ZoomConnection, ZoomUser
from zoom_integration.services import usable_connection


def zoom_start_time(moment: datetime) -> str:
    """UTC with Z: Zoom reads a start_time without Z as local time (the classic wrong-hour bug)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_body(spec: MeetingSpec) -> dict:
    options = spec.options
    return {
        "topic": spec.topic,
        "type": 2,
        "start_time": zoom_start_time(spec.start),
        "duration": spec.duration_minutes,
        "timezone": spec.time_zone,
        "agenda": spec.agenda,
        "default_password": options.use_passcode,
        "settings": {
            "join_before_host": options.join_before_host,
            "waiting_room": options.waiting_room,
            "host_video": True,
            "participant_video": True,
            "mute_upon_entry": False,
            "approval_type": 2,
            "audio": "both",
            "auto_recording": "none",
            "use_pmi": options.use_pmi,
        },
    }


def update_body(spec: MeetingSpec) -> dict:
    return {
        "topic": spec.topic,
        "start_time": zoom_start_time(spec.start),
        "duration": spec.duration_minutes,
        "timezone": spec.time_zone,
    }


def as_meeting(data: dict) -> Meeting:
    """A Zoom meeting object (or list item) as a ``Meeting``; the host-only start_url is dropped."""
    return Meeting(
        id=int(data["id"]),
        join_url=data.get("join_url", "") or "",
        passcode=data.get("password", "") or "",
        start=parse_datetime(data.get("start_time") or ""),
        duration_minutes=data.get("duration"),
        agenda=data.get("agenda"),  # None: left out of a list item
        topic=data.get("topic", "") or "",
    )


class ZoomProvider:
    key = "zoom"
    display_name = "Zoom"

    def connection(self, company: Company) -> ZoomConnection:
        return usable_connection(company)

    def account_key(self, connection: ZoomConnection, company_id: int) -> str:
        return connection.zoom_account_id or f"company-{company_id}"

    def host_problem(self, company_id: int, host_id: str) -> str:
        user = ZoomUser.objects.filter(company_id=company_id, zoom_user_id=host_id).first()
        if user is None or user.can_host:
            return ""
        return _(
            "ホストのZoomユーザー（%(email)s）がZoomアカウントに存在しないか無効です。"
            "予約動作設定でZoomユーザーを選び直してください。"
        ) % {"email": user.email}

    def create_meeting(self, connection: ZoomConnection, *, host_id: str, spec: MeetingSpec) -> Meeting:
        return as_meeting(client.create_meeting(connection, host_id=host_id, body=create_body(spec)))

    def get_meeting(self, connection: ZoomConnection, *, meeting_id: int | str) -> Meeting:
        return as_meeting(client.get_meeting(connection, meeting_id=int(meeting_id)))

    def update_meeting(self, connection: ZoomConnection, *, meeting_id: int | str, spec: MeetingSpec) -> None:
        client.update_meeting(connection, meeting_id=int(meeting_id), body=update_body(spec))

    def delete_meeting(self, connection: ZoomConnection, *, meeting_id: int | str) -> None:
        client.delete_meeting(connection, meeting_id=int(meeting_id))

    def list_host_meetings(self, connection: ZoomConnection, *, host_id: str) -> list[Meeting]:
        meetings = client.list_user_meetings(connection, host_id=host_id, meeting_type="scheduled")
        return [as_meeting(item) for item in meetings]
